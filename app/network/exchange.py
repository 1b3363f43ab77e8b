"""Exchange space operations: threads, posts, quotes, follows, notifications and moderation.

A hidden post disappears everywhere at once: threads and notification lists only show visible
posts, and its notifications not yet mailed are deleted when it is hidden. Operations flush,
never commit.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.core.db import utcnow
from app.core.text import plain_text
from app.extensions import db
from app.library.models import Theme
from app.mail import send_mail
from app.network.exchange_models import (
    Follow,
    Notification,
    NotifyMode,
    Post,
    PostStatus,
    Report,
    ReportState,
    Thread,
)
from app.network.operations import resolve_thread_target
from app.network.personal_data import is_deleted_account


class ExchangeError(ValueError):
    """A request the exchange space cannot honour, with a message for the person."""


def external_url(endpoint: str, **values) -> str:
    """Return an absolute URL, also from a worker (SERVER_NAME or SITE_URL)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("SITE_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def is_moderator(user) -> bool:
    return user is not None and user.is_authenticated and user.has_role(Role.MODERATOR)


# --------------------------------------------------------------------------- threads


def get_target_thread(kind: str, target_id: int) -> Thread | None:
    return db.session.scalar(
        sa.select(Thread).where(Thread.target_kind == kind, Thread.target_id == target_id)
    )


def get_or_create_target_thread(kind: str, target_id: int) -> Thread:
    """Return the thread about a course, session or resource, creating it on first use."""
    thread = get_target_thread(kind, target_id)
    if thread is not None:
        return thread
    target = resolve_thread_target(kind, target_id)
    if target is None:
        raise LookupError(f"no {kind} {target_id}")
    theme = None
    if target.theme_slug:
        theme = db.session.scalar(sa.select(Theme).where(Theme.slug == target.theme_slug))
    thread = Thread(title=target.title[:250], target_kind=kind, target_id=target_id, theme=theme)
    db.session.add(thread)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # Two first visitors at once: the other request created it.
        return get_target_thread(kind, target_id)
    return thread


def create_thread(author: User, title: str, body: str, theme: Theme | None) -> Post:
    """Open a general thread in a theme category with its first post."""
    thread = Thread(title=title.strip()[:250], theme=theme, created_by_id=author.id)
    db.session.add(thread)
    db.session.flush()
    return add_post(thread, author, body)


def visible_threads(viewer, theme: Theme | None = None, *, general_only=False) -> list[Thread]:
    query = sa.select(Thread).order_by(Thread.is_pinned.desc(), Thread.last_post_dt.desc())
    if not is_moderator(viewer):
        query = query.where(Thread.hidden_dt.is_(None))
    if theme is not None:
        query = query.where(Thread.theme_id == theme.id)
    elif general_only:
        query = query.where(Thread.theme_id.is_(None))
    # Threads with no visible post yet (a first post awaiting approval) are not listed.
    has_post = sa.select(Post.id).where(Post.thread_id == Thread.id, Post.status == "visible")
    if not is_moderator(viewer):
        query = query.where(has_post.exists())
    return list(db.session.scalars(query))


def thread_posts(thread: Thread, viewer) -> list[Post]:
    """Posts shown in a thread: visible ones, the viewer's own pending ones; all for moderators."""
    if is_moderator(viewer):
        return list(thread.posts)
    uid = viewer.id if viewer is not None and viewer.is_authenticated else None
    return [
        p for p in thread.posts
        if p.status == PostStatus.VISIBLE or (p.status == PostStatus.PENDING and p.author_id == uid)
    ]


# --------------------------------------------------------------------------- posts


def needs_approval(author: User) -> bool:
    """A new member's first posts wait for a moderator (Discourse's "approve post count")."""
    if author.has_role(Role.MODERATOR, Role.ANIMATOR):
        return False
    threshold = current_app.config["NETWORK_APPROVE_POST_COUNT"]
    approved = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(
            Post.author_id == author.id, Post.status == PostStatus.VISIBLE
        )
    )
    return approved < threshold


def author_name(user: User | None) -> str:
    """Name a post's author; a deleted account is named in the reader's language."""
    if user is None or is_deleted_account(user):
        return _("Compte supprimé")
    return user.name


def quote_markdown(post: Post) -> str:
    """Return a Markdown blockquote of a post, with its author."""
    name = author_name(post.author)
    # The sentence is built apart: xgettext cannot see a call inside an f-string.
    header = _("%(name)s a écrit :", name=name)
    lines = [f"> **{header}**", ">"]
    lines += [f"> {line}" if line else ">" for line in post.body.splitlines()]
    return "\n".join(lines) + "\n\n"


def add_post(
    thread: Thread,
    author: User,
    body: str,
    *,
    reply_to: Post | None = None,
    quote: Post | None = None,
) -> Post:
    """Add a post; it is visible at once or waits for approval; followers get notified."""
    if thread.is_locked and not is_moderator(author):
        raise ExchangeError(_("Cette discussion est verrouillée."))
    if thread.hidden_dt is not None and not is_moderator(author):
        raise ExchangeError(_("Cette discussion n'est plus disponible."))
    body = body.strip()
    if not body:
        raise ExchangeError(_("Le message est vide."))
    for other in (reply_to, quote):
        if other is not None and (other.thread_id != thread.id or other.status != "visible"):
            raise ExchangeError(_("Le message cité n'est pas dans cette discussion."))
    if quote is not None:
        body = quote_markdown(quote) + body
    post = Post(
        thread=thread,
        author_id=author.id,
        body=body,
        reply_to_id=reply_to.id if reply_to else None,
        status=PostStatus.PENDING if needs_approval(author) else PostStatus.VISIBLE,
    )
    db.session.add(post)
    follow(thread, author, only_if_new=True)
    db.session.flush()
    if post.status == PostStatus.VISIBLE:
        _published(post)
    return post


def _published(post: Post) -> None:
    post.thread.last_post_dt = post.created_dt or utcnow()
    followers = db.session.scalars(
        sa.select(Follow).where(
            Follow.thread_id == post.thread_id, Follow.user_id != post.author_id
        )
    )
    for f in followers:
        db.session.add(Notification(user_id=f.user_id, post_id=post.id, mode=f.mode))
    db.session.flush()
    index_thread(post.thread)


def approve_post(post: Post, moderator: User) -> None:
    """Publish a post that waited for approval (its followers are notified now)."""
    if post.status != PostStatus.PENDING:
        return
    post.status = PostStatus.VISIBLE
    post.moderated_by_id, post.moderated_dt = moderator.id, utcnow()
    db.session.flush()
    _published(post)


def hide_post(post: Post, moderator: User) -> None:
    """Hide a post: gone from the thread, from notification lists and from unsent e-mails."""
    post.status = PostStatus.HIDDEN
    post.moderated_by_id, post.moderated_dt = moderator.id, utcnow()
    db.session.execute(
        sa.delete(Notification).where(
            Notification.post_id == post.id, Notification.mailed_dt.is_(None)
        )
    )
    for report in db.session.scalars(
        sa.select(Report).where(Report.post_id == post.id, Report.state == ReportState.OPEN)
    ):
        report.state, report.handled_by_id, report.handled_dt = (
            ReportState.HANDLED, moderator.id, utcnow()
        )
    db.session.flush()
    index_thread(post.thread)


def restore_post(post: Post, moderator: User) -> None:
    """Show a hidden post again (no new notification is sent)."""
    post.status = PostStatus.VISIBLE
    post.moderated_by_id, post.moderated_dt = moderator.id, utcnow()
    db.session.flush()
    index_thread(post.thread)


def set_locked(thread: Thread, locked: bool) -> None:
    thread.is_locked = locked
    db.session.flush()


def set_thread_hidden(thread: Thread, hidden: bool) -> None:
    thread.hidden_dt = utcnow() if hidden else None
    db.session.flush()
    index_thread(thread)


def report_post(post: Post, reporter: User, reason: str, details: str = "") -> Report:
    report = Report(post_id=post.id, reporter_id=reporter.id, reason=reason, details=details)
    db.session.add(report)
    db.session.flush()
    return report


def dismiss_report(report: Report, moderator: User) -> None:
    report.state, report.handled_by_id, report.handled_dt = (
        ReportState.DISMISSED, moderator.id, utcnow()
    )
    db.session.flush()


def moderation_queue() -> tuple[list[Post], list[Report]]:
    pending = list(
        db.session.scalars(
            sa.select(Post).where(Post.status == PostStatus.PENDING).order_by(Post.created_dt)
        )
    )
    reports = list(
        db.session.scalars(
            sa.select(Report).where(Report.state == ReportState.OPEN).order_by(Report.created_dt)
        )
    )
    return pending, reports


# --------------------------------------------------------------------------- follows


def get_follow(thread: Thread, user: User) -> Follow | None:
    return db.session.scalar(
        sa.select(Follow).where(Follow.thread_id == thread.id, Follow.user_id == user.id)
    )


def follow(thread: Thread, user: User, mode: NotifyMode | str | None = None, *, only_if_new=False):
    """Follow a thread (or change how notifications arrive)."""
    current = get_follow(thread, user)
    if current is not None:
        if mode is not None and not only_if_new:
            current.mode = NotifyMode(mode)
        return current
    current = Follow(thread=thread, user_id=user.id, mode=NotifyMode(mode or NotifyMode.IMMEDIATE))
    db.session.add(current)
    return current


def unfollow(thread: Thread, user: User) -> None:
    current = get_follow(thread, user)
    if current is not None:
        db.session.delete(current)
        db.session.flush()


def user_follows(user: User) -> list[Follow]:
    """The threads an account follows (hidden threads excluded), latest activity first."""
    return list(
        db.session.scalars(
            sa.select(Follow)
            .join(Thread, Follow.thread_id == Thread.id)
            .where(Follow.user_id == user.id, Thread.hidden_dt.is_(None))
            .order_by(Thread.last_post_dt.desc())
        )
    )


def edit_post(post: Post, editor: User, body: str) -> None:
    """Let an author fix their post (moderators may edit any); hidden posts stay frozen."""
    if post.author_id != editor.id and not is_moderator(editor):
        raise ExchangeError(_("Vous ne pouvez modifier que vos propres messages."))
    if post.status == PostStatus.HIDDEN or (post.thread.is_locked and not is_moderator(editor)):
        raise ExchangeError(_("Ce message ne peut plus être modifié."))
    body = body.strip()
    if not body:
        raise ExchangeError(_("Le message est vide."))
    post.body = body
    post.edited_dt = utcnow()
    db.session.flush()
    index_thread(post.thread)


def user_notifications(user: User, limit: int = 100) -> list[Notification]:
    """The account's notifications about posts that are still visible, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .join(Post, Notification.post_id == Post.id)
            .join(Thread, Post.thread_id == Thread.id)
            .where(
                Notification.user_id == user.id,
                Post.status == PostStatus.VISIBLE,
                Thread.hidden_dt.is_(None),
            )
            .order_by(Notification.created_dt.desc())
            .limit(limit)
        )
    )


# --------------------------------------------------------------------------- e-mails


def _unsent(mode: NotifyMode, post_id: int | None = None):
    query = (
        sa.select(Notification)
        .join(Post, Notification.post_id == Post.id)
        .join(Thread, Post.thread_id == Thread.id)
        .where(
            Notification.mailed_dt.is_(None),
            Notification.mode == mode,
            Post.status == PostStatus.VISIBLE,
            Thread.hidden_dt.is_(None),
        )
        .order_by(Notification.user_id, Notification.created_dt)
    )
    if post_id is not None:
        query = query.where(Notification.post_id == post_id)
    return list(db.session.scalars(query))


def _post_text(post: Post) -> str:
    author = author_name(post.author)
    url = external_url("network.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}")
    return f"{author} — {post.thread.title}\n\n{plain_text(post.body, 600)}\n\n{url}\n"


def _send_grouped(notifications: list[Notification], subject_one, subject_many) -> int:
    by_user = defaultdict(list)
    for n in notifications:
        by_user[n.user_id].append(n)
    sent = 0
    for user_id, items in by_user.items():
        user = db.session.get(User, user_id)
        now = utcnow()
        if user is None or not user.is_enabled:
            for n in items:
                n.mailed_dt = now  # nobody to tell; do not retry forever
            continue
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = subject_one(items[0]) if len(items) == 1 else subject_many(len(items))
            text = "\n---\n\n".join(_post_text(n.post) for n in items)
            manage = external_url("network.notifications")
            text += "\n" + _("Gérer vos abonnements : %(url)s", url=manage)
        send_mail(user.email, subject, text)
        for n in items:
            n.mailed_dt = now
        sent += 1
    db.session.flush()
    return sent


def send_immediate_notifications(post_id: int | None = None) -> int:
    """Mail the immediate notifications not yet sent (for one post, or all); return mails sent."""
    return _send_grouped(
        _unsent(NotifyMode.IMMEDIATE, post_id),
        lambda n: _("Nouveau message : %(title)s", title=n.post.thread.title),
        lambda count: _("%(num)d nouveaux messages dans vos discussions", num=count),
    )


def send_digests() -> int:
    """Mail each digest subscriber one summary of the day's new visible posts."""
    return _send_grouped(
        _unsent(NotifyMode.DIGEST),
        lambda n: _("Votre résumé quotidien : %(title)s", title=n.post.thread.title),
        lambda count: _("Votre résumé quotidien : %(num)d nouveaux messages", num=count),
    )


def index_thread(thread: Thread) -> None:
    """Put a thread's visible posts in the site search, or take a hidden/empty thread out."""
    from app.network.operations import _search_api

    search_ops = _search_api()
    if search_ops is None:
        return
    posts = [p for p in thread.posts if p.status == PostStatus.VISIBLE]
    if thread.hidden_dt is not None or not posts:
        search_ops.remove_document("discussion", thread.id)
        return
    search_ops.index_document(
        "discussion",
        thread.id,
        title=thread.title,
        url=f"/reseau/echanges/{thread.id}",
        body=" ".join(plain_text(p.body) for p in posts)[:50000],
        summary=plain_text(posts[0].body, 300),
        theme_ids=[thread.theme_id] if thread.theme_id else [],
        date_dt=thread.last_post_dt,
    )
