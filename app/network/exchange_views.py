"""Exchange space pages: categories, threads, posting, following, notifications, moderation."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.auth.models import Role
from app.auth.security import login_required, role_required
from app.core.db import utcnow
from app.extensions import db, limiter
from app.library.models import Theme
from app.network import exchange, forms
from app.network.exchange_models import Notification, NotifyMode, Post, PostStatus, Report, Thread
from app.network.operations import resolve_thread_target
from app.network.views import MAX_ID, bp, get_or_404


def _poster_key() -> str:
    """Rate-limit per account (a shared office IP must not silence a whole team)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _post_rate() -> str:
    return current_app.config["NETWORK_POST_RATE"]


#: One budget for every way of posting (threads, replies, reports), so a spammer cannot spread a
#: burst over several forms.
post_limit = limiter.shared_limit(
    _post_rate, scope="network-posting", key_func=_poster_key, methods=["POST"]
)


def _viewer():
    return current_user if current_user.is_authenticated else None


def _get_thread(thread_id: int) -> Thread:
    thread = get_or_404(Thread, thread_id)
    if thread.hidden_dt is not None and not exchange.is_moderator(current_user):
        abort(404)
    return thread


def _enqueue_notifications(post: Post) -> None:
    if post.status == PostStatus.VISIBLE:
        current_app.extensions["celery"].send_task(
            "network.send_notifications", args=[post.id], queue="short"
        )


@bp.get("/echanges")
def exchange_index():
    """Categories (one per theme, plus general) with their latest threads."""
    themes = list(db.session.scalars(
        sa.select(Theme).where(Theme.is_active.is_(True)).order_by(Theme.position, Theme.name)
    ))
    threads = exchange.visible_threads(_viewer())
    by_theme = {}
    for t in threads:
        by_theme.setdefault(t.theme_id, []).append(t)
    return render_template(
        "network/exchange.html", themes=themes, by_theme=by_theme, threads=threads[:10]
    )


@bp.get("/echanges/categorie/<slug>")
def exchange_category(slug):
    if slug == "general":
        theme = None
        threads = exchange.visible_threads(_viewer(), general_only=True)
    else:
        theme = db.session.scalar(sa.select(Theme).where(Theme.slug == slug)) or abort(404)
        threads = exchange.visible_threads(_viewer(), theme)
    return render_template("network/exchange_category.html", theme=theme, threads=threads)


def _category_choices():
    choices = [(0, _("Général"))]
    choices += [
        (t.id, t.name)
        for t in db.session.scalars(
            sa.select(Theme).where(Theme.is_active.is_(True)).order_by(Theme.position)
        )
    ]
    return choices


@bp.route("/echanges/nouveau", methods=["GET", "POST"])
@login_required
@post_limit
def new_thread():
    form = forms.ThreadForm()
    form.theme.choices = _category_choices()
    if request.method == "GET" and request.args.get("theme"):
        theme = db.session.scalar(sa.select(Theme).where(Theme.slug == request.args["theme"]))
        form.theme.data = theme.id if theme else 0
    if form.validate_on_submit():
        theme = db.session.get(Theme, form.theme.data) if form.theme.data else None
        try:
            post = exchange.create_thread(current_user, form.title.data, form.body.data, theme)
        except exchange.ExchangeError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            _flash_posted(post)
            return redirect(url_for("network.thread", thread_id=post.thread_id))
    return render_template("network/thread_form.html", form=form)


def _flash_posted(post: Post) -> None:
    if post.status == PostStatus.PENDING:
        flash(
            _("Merci ! Vos premiers messages sont relus par l'équipe avant d'être publiés."),
            "info",
        )
    else:
        flash(_("Message publié."), "success")


@bp.route("/echanges/a-propos/<kind>/<int:target_id>", methods=["GET", "POST"])
@post_limit
def target_thread(kind, target_id):
    """The discussion of a course, session or resource; the thread is made at the first post."""
    if not 0 < target_id <= MAX_ID:
        abort(404)
    thread = exchange.get_target_thread(kind, target_id)
    if thread is not None and request.method == "GET":
        return redirect(url_for("network.thread", thread_id=thread.id))
    target = resolve_thread_target(kind, target_id)
    if target is None and thread is None:
        abort(404)
    form = forms.PostForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        if form.validate_on_submit():
            thread = exchange.get_or_create_target_thread(kind, target_id)
            try:
                post = exchange.add_post(thread, current_user, form.body.data)
            except exchange.ExchangeError as exc:
                abort(403, str(exc))
            db.session.commit()
            _enqueue_notifications(post)
            _flash_posted(post)
            return redirect(url_for("network.thread", thread_id=thread.id))
    return render_template("network/thread_empty.html", target=target, form=form)


@bp.get("/echanges/<int:thread_id>")
def thread(thread_id):
    row = _get_thread(thread_id)
    posts = exchange.thread_posts(row, _viewer())
    form = forms.PostForm()
    quote_id = request.args.get("citer", type=int)
    reply_id = request.args.get("repondre", type=int)
    quote_id = quote_id if quote_id and 0 < quote_id <= MAX_ID else None
    reply_id = reply_id if reply_id and 0 < reply_id <= MAX_ID else None
    visible_ids = {p.id for p in posts if p.status == PostStatus.VISIBLE}
    if quote_id in visible_ids:
        form.quote.data = str(quote_id)
    if reply_id in visible_ids:
        form.reply_to.data = str(reply_id)
    target = resolve_thread_target(row.target_kind, row.target_id) if row.target_kind else None
    following = (
        exchange.get_follow(row, current_user) if current_user.is_authenticated else None
    )
    return render_template(
        "network/thread.html",
        thread=row,
        posts=posts,
        form=form,
        target=target,
        following=following,
        is_moderator=exchange.is_moderator(current_user),
        quoted=db.session.get(Post, quote_id) if form.quote.data else None,
        replying=db.session.get(Post, reply_id) if form.reply_to.data else None,
    )


def _post_in(thread: Thread, raw: str | None) -> Post | None:
    if not raw or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        return None
    post = db.session.get(Post, int(raw))
    return post if post is not None and post.thread_id == thread.id else None


@bp.post("/echanges/<int:thread_id>/messages")
@login_required
@post_limit
def add_post(thread_id):
    row = _get_thread(thread_id)
    form = forms.PostForm()
    if not form.validate_on_submit():
        flash(_("Le message est vide ou trop long."), "error")
        return redirect(url_for("network.thread", thread_id=row.id))
    try:
        post = exchange.add_post(
            row,
            current_user,
            form.body.data,
            reply_to=_post_in(row, form.reply_to.data),
            quote=_post_in(row, form.quote.data),
        )
    except exchange.ExchangeError as exc:
        flash(str(exc), "error")
        return redirect(url_for("network.thread", thread_id=row.id))
    db.session.commit()
    _enqueue_notifications(post)
    _flash_posted(post)
    return redirect(url_for("network.thread", thread_id=row.id, _anchor=f"post-{post.id}"))


@bp.post("/echanges/<int:thread_id>/suivre")
@login_required
def follow_thread(thread_id):
    row = _get_thread(thread_id)
    mode = request.form.get("mode", "immediate")
    if mode == "none":
        exchange.unfollow(row, current_user)
        message = _("Vous ne suivez plus cette discussion.")
    else:
        try:
            mode = NotifyMode(mode)
        except ValueError:
            abort(400, _("Mode de notification inconnu."))
        exchange.follow(row, current_user, mode)
        message = _("Vous suivez cette discussion.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("network.thread", thread_id=row.id))


@bp.route("/echanges/messages/<int:post_id>/signaler", methods=["GET", "POST"])
@login_required
@post_limit
def report_post(post_id):
    post = get_or_404(Post, post_id)
    if post.status != PostStatus.VISIBLE:
        abort(404)
    form = forms.ReportForm()
    if form.validate_on_submit():
        exchange.report_post(post, current_user, form.reason.data, form.details.data or "")
        db.session.commit()
        flash(_("Merci, l'équipe de modération va examiner ce message."), "success")
        return redirect(url_for("network.thread", thread_id=post.thread_id))
    return render_template("network/report_form.html", form=form, post=post)


@bp.post("/echanges/messages/<int:post_id>/moderer")
@role_required(Role.MODERATOR)
def moderate_post(post_id):
    post = get_or_404(Post, post_id)
    action = request.form.get("action")
    if action == "hide":
        exchange.hide_post(post, current_user)
        message = _("Message masqué.")
    elif action == "restore":
        exchange.restore_post(post, current_user)
        message = _("Message rétabli.")
    elif action == "approve":
        exchange.approve_post(post, current_user)
        message = _("Message approuvé.")
    else:
        abort(400, _("Action inconnue."))
    db.session.commit()
    if action == "approve":
        _enqueue_notifications(post)
    flash(message, "success")
    return redirect(request.form.get("next") or url_for("network.thread", thread_id=post.thread_id))


@bp.post("/echanges/<int:thread_id>/moderer")
@role_required(Role.MODERATOR)
def moderate_thread(thread_id):
    row = get_or_404(Thread, thread_id)
    action = request.form.get("action")
    actions = {
        "lock": lambda: exchange.set_locked(row, True),
        "unlock": lambda: exchange.set_locked(row, False),
        "hide": lambda: exchange.set_thread_hidden(row, True),
        "show": lambda: exchange.set_thread_hidden(row, False),
    }
    if action not in actions:
        abort(400, _("Action inconnue."))
    actions[action]()
    db.session.commit()
    flash(_("Discussion mise à jour."), "success")
    return redirect(url_for("network.thread", thread_id=row.id))


@bp.post("/echanges/signalements/<int:report_id>/classer")
@role_required(Role.MODERATOR)
def dismiss_report(report_id):
    report = get_or_404(Report, report_id)
    exchange.dismiss_report(report, current_user)
    db.session.commit()
    flash(_("Signalement classé."), "success")
    return redirect(url_for("network.exchange_moderation"))


@bp.get("/echanges/moderation")
@role_required(Role.MODERATOR)
def exchange_moderation():
    pending, reports = exchange.moderation_queue()
    return render_template(
        "network/exchange_moderation.html",
        pending=pending,
        reports=reports,
        reason_labels=dict(forms.REPORT_REASONS),
    )


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """The account's notifications about followed discussions (visible posts only)."""
    if request.method == "POST":
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == current_user.id, Notification.read_dt.is_(None))
            .values(read_dt=utcnow())
        )
        db.session.commit()
        return redirect(url_for("network.notifications"))
    return render_template(
        "network/notifications.html",
        notifications=exchange.user_notifications(current_user),
        follows=exchange.user_follows(current_user),
    )


@bp.route("/echanges/messages/<int:post_id>/modifier", methods=["GET", "POST"])
@login_required
@post_limit
def edit_post(post_id):
    post = get_or_404(Post, post_id)
    if post.author_id != current_user.id and not exchange.is_moderator(current_user):
        abort(403)
    form = forms.PostForm(obj=post if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            exchange.edit_post(post, current_user, form.body.data)
        except exchange.ExchangeError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Message modifié."), "success")
            return redirect(
                url_for("network.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}")
            )
    return render_template("network/post_edit.html", form=form, post=post)
