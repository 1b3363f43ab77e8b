"""Exchange space: posting, approval, quotes, follows and e-mails, moderation, XSS, rate limits."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.network import operations
from app.network.exchange_models import Notification, Post, PostStatus, Report, Thread
from tests.conftest import PASSWORD, csrf_token_from, login
from workers.network import send_digests, send_notifications


@pytest.fixture
def trusting(app):
    """Publish members' posts at once (the approval rule has its own test)."""
    app.config["NETWORK_APPROVE_POST_COUNT"] = 0
    return app


def open_thread(client, title="Comment fixer un prix solidaire ?", body="Bonjour à toutes !"):
    response = client.post("/reseau/echanges/nouveau",
                           data={"title": title, "body": body, "theme": "0"})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return int(re.search(r"/echanges/(\d+)", response.headers["Location"]).group(1))


def post(client, thread_id, body, **extra):
    return client.post(f"/reseau/echanges/{thread_id}/messages", data={"body": body, **extra})


def _search(query):
    from app.search.operations import search

    try:
        return [hit.document.url for hit in search(query).hits]
    finally:
        # The search may open a transaction (SQLite snapshot): end it so later reads see the
        # rows the requests write.
        db.session.rollback()


def mails_to(outbox, address):
    return [m for m in outbox() if m["To"] == address]


def test_markdown_posts_are_sanitised(client, login_as, trusting):
    login_as("learner")
    thread_id = open_thread(client, body=(
        "**Important** <script>alert('xss')</script>\n\n"
        "[clic](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n"
        "<a href=\"https://ok.example.org\" onclick=\"steal()\">lien</a>"
    ))
    page = client.get(f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    body = page[page.index('class="posts"'):]
    assert "<strong>Important</strong>" in body
    assert "<script" not in body and 'href="javascript' not in body
    assert re.search(r"<[a-z][^>]*\son\w+=", body) is None  # no event handler on any tag
    assert "&lt;script&gt;" in body  # shown as text, harmless


def test_first_post_of_a_new_member_waits_for_approval(client, make_user, login_as):
    newcomer = make_user("learner", email="nouvelle@example.org")
    login(client, newcomer)
    thread_id = open_thread(client, body="Mon tout premier message")
    page = client.get(f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    assert "En attente de relecture" in page  # the author sees it, marked
    client.post("/compte/deconnexion")
    assert "Mon tout premier message" not in client.get(
        f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    assert "Comment fixer" not in client.get("/reseau/echanges").get_data(as_text=True)

    login_as("moderator")
    assert "Mon tout premier message" in client.get("/reseau/echanges/moderation").get_data(
        as_text=True)
    first = db.session.scalar(sa.select(Post))
    client.post(f"/reseau/echanges/messages/{first.id}/moderer", data={"action": "approve"})
    client.post("/compte/deconnexion")
    assert "Mon tout premier message" in client.get(
        f"/reseau/echanges/{thread_id}").get_data(as_text=True)

    login(client, newcomer)
    post(client, thread_id, "Deuxième message, publié directement")
    db.session.expire_all()
    assert db.session.scalar(
        sa.select(Post.status).where(Post.body.like("Deuxième%"))) == PostStatus.VISIBLE


def test_replies_and_quotes(client, login_as, make_user, trusting):
    login_as("learner")
    thread_id = open_thread(client, body="Nous pratiquons trois prix :\nsolidaire, juste, soutien.")
    first = db.session.scalar(sa.select(Post))
    page = client.get(f"/reseau/echanges/{thread_id}?citer={first.id}").get_data(as_text=True)
    assert f'name="quote" type="hidden" value="{first.id}"' in page
    post(client, thread_id, "Merci, et comment le présenter ?", quote=str(first.id),
         reply_to=str(first.id))
    db.session.expire_all()
    reply = db.session.scalar(sa.select(Post).order_by(Post.id.desc()))
    assert reply.reply_to_id == first.id
    assert reply.body.startswith("> **")
    page = client.get(f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    assert "<blockquote>" in page and f'href="#post-{first.id}"' in page


def test_followers_get_immediate_mails_or_a_daily_digest(client, make_user, outbox, trusting):
    author, watcher, digester = (make_user("learner", email=f"{n}@example.org")
                                 for n in ("autrice", "veille", "resume"))
    login(client, author)
    thread_id = open_thread(client)
    for user, mode in ((watcher, "immediate"), (digester, "digest")):
        client.post("/compte/deconnexion")
        login(client, user)
        client.post(f"/reseau/echanges/{thread_id}/suivre", data={"mode": mode})
    client.post("/compte/deconnexion")
    login(client, author)
    post(client, thread_id, "Nous avons testé la caisse de solidarité.")

    assert send_notifications() == 1  # the task the view enqueued, run here
    [mail] = mails_to(outbox, "veille@example.org")
    assert "caisse de solidarité" in mail.get_body(("plain",)).get_content()
    assert f"/reseau/echanges/{thread_id}#post-" in mail.get_body(("plain",)).get_content()
    assert mails_to(outbox, "resume@example.org") == []
    assert mails_to(outbox, "autrice@example.org") == []  # not about one's own post
    assert send_notifications() == 0  # sent once

    assert send_digests() == 1
    [digest] = mails_to(outbox, "resume@example.org")
    assert "résumé quotidien" in digest["Subject"]
    assert send_digests() == 0


def test_moderator_hides_a_post_and_it_disappears_from_thread_and_notifications(
    client, make_user, login_as, outbox, trusting
):
    author, spammer, reader = (make_user("learner", email=f"{n}@example.org")
                               for n in ("auteur", "spammeur", "lectrice"))
    login(client, author)
    thread_id = open_thread(client)
    client.post("/compte/deconnexion")
    login(client, reader)
    client.post(f"/reseau/echanges/{thread_id}/suivre", data={"mode": "immediate"})
    client.post("/compte/deconnexion")
    login(client, spammer)
    post(client, thread_id, "Achetez des pilules miracles")
    client.post("/compte/deconnexion")

    assert _search("pilules") == [f"/reseau/echanges/{thread_id}"]
    login(client, reader)
    assert "pilules miracles" in client.get("/reseau/notifications").get_data(as_text=True)
    bad = db.session.scalar(sa.select(Post).where(Post.body.like("Achetez%")))
    client.post(f"/reseau/echanges/messages/{bad.id}/signaler",
                data={"reason": "spam", "details": "publicité"})
    client.post("/compte/deconnexion")

    login_as("moderator")
    assert "publicité" in client.get("/reseau/echanges/moderation").get_data(as_text=True)
    response = client.post(f"/reseau/echanges/messages/{bad.id}/moderer", data={"action": "hide"})
    assert response.status_code == 302
    client.post("/compte/deconnexion")

    assert "pilules" not in client.get(f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    assert _search("pilules") == []
    login(client, reader)
    assert "pilules" not in client.get("/reseau/notifications").get_data(as_text=True)
    assert send_notifications() == 0 and send_digests() == 0
    assert not any("pilules" in m.get_body(("plain",)).get_content() for m in outbox())
    db.session.expire_all()
    assert db.session.scalar(sa.select(Report.state)) == "handled"
    assert db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.post_id == bad.id)) == 0


def test_locked_and_hidden_threads(client, make_user, login_as, trusting):
    member = make_user("learner")
    login(client, member)
    thread_id = open_thread(client)
    client.post("/compte/deconnexion")
    login_as("moderator")
    client.post(f"/reseau/echanges/{thread_id}/moderer", data={"action": "lock"})
    client.post("/compte/deconnexion")
    login(client, member)
    post(client, thread_id, "Encore une question")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 1
    assert "verrouillée" in client.get(f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    client.post("/compte/deconnexion")
    login_as("moderator")
    client.post(f"/reseau/echanges/{thread_id}/moderer", data={"action": "hide"})
    client.post("/compte/deconnexion")
    assert client.get(f"/reseau/echanges/{thread_id}").status_code == 404


def test_spam_burst_is_rate_limited(client, login_as, app, trusting):
    app.config["NETWORK_POST_RATE"] = "3 per minute"
    login_as("learner")
    thread_id = open_thread(client)
    statuses = [post(client, thread_id, f"message {i}").status_code for i in range(4)]
    assert statuses[:2] == [302, 302] and statuses[-1] == 429
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 3


def test_one_thread_per_target_created_on_first_post(client, login_as, trusting, make_theme):
    make_theme()
    seen = []

    def resource(target_id):
        seen.append(target_id)
        if target_id != 7:
            return None
        return operations.ThreadTarget(
            title="Guide : la caisse de solidarité",
            url="/se-documenter/caisse",
            theme_slug="tarification-sociale",
        )

    operations.register_thread_target("resource", resource)
    try:
        assert client.get("/reseau/echanges/a-propos/resource/8").status_code == 404
        page = client.get("/reseau/echanges/a-propos/resource/7").get_data(as_text=True)
        assert "Guide : la caisse de solidarité" in page
        assert db.session.scalar(sa.select(sa.func.count(Thread.id))) == 0  # nothing created yet
        login_as("learner")
        for body in ("Première question", "Deuxième question"):
            response = client.post("/reseau/echanges/a-propos/resource/7", data={"body": body})
            assert response.status_code == 302
        db.session.expire_all()
        [thread] = db.session.scalars(sa.select(Thread)).all()
        assert (thread.target_kind, thread.target_id) == ("resource", 7)
        assert thread.theme.slug == "tarification-sociale" and len(thread.posts) == 2
        response = client.get("/reseau/echanges/a-propos/resource/7")
        assert response.headers["Location"].endswith(f"/reseau/echanges/{thread.id}")
    finally:
        operations.unregister_thread_target("resource")


def test_posting_needs_csrf(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True, NETWORK_APPROVE_POST_COUNT=0)
    with app.app_context():
        user = make_user("learner")
        client = app.test_client()
        token = csrf_token_from(client.get("/compte/connexion").get_data(as_text=True))
        client.post("/compte/connexion",
                    data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        data = {"title": "Sans jeton", "body": "Bonjour", "theme": "0"}
        assert client.post("/reseau/echanges/nouveau", data=data).status_code == 400
        token = csrf_token_from(client.get("/reseau/echanges/nouveau").get_data(as_text=True))
        response = client.post("/reseau/echanges/nouveau", data={**data, "csrf_token": token})
        assert response.status_code == 302


def test_authors_edit_their_posts_and_manage_follows(client, make_user, trusting):
    author, other = make_user("learner"), make_user("learner")
    login(client, author)
    thread_id = open_thread(client, body="Premièr version")
    first = db.session.scalar(sa.select(Post))
    response = client.post(f"/reseau/echanges/messages/{first.id}/modifier",
                           data={"body": "Première version corrigée"})
    assert response.status_code == 302
    page = client.get(f"/reseau/echanges/{thread_id}").get_data(as_text=True)
    assert "Première version corrigée" in page and "modifié" in page
    page = client.get("/reseau/notifications").get_data(as_text=True)
    assert "Comment fixer un prix solidaire ?" in page  # the author follows their thread
    client.post(f"/reseau/echanges/{thread_id}/suivre", data={"mode": "none"})
    assert "Vous ne suivez aucune discussion" in client.get("/reseau/notifications").get_data(
        as_text=True)
    client.post("/compte/deconnexion")
    login(client, other)
    assert client.post(f"/reseau/echanges/messages/{first.id}/modifier",
                       data={"body": "Vandalisme"}).status_code == 403
