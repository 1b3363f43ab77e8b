"""Sign-up, login, logout, password reset and the account page."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import forms, operations
from app.auth.models import ApiToken
from app.auth.security import login_required
from app.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/compte")


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect would make phishing links look like ours.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("core.index")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("Adresse e-mail ou mot de passe incorrect."), "error")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    logout_user()
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("core.index"))


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def signup():
    form = forms.SignupForm()
    if form.validate_on_submit():
        operations.register(form.email.data, form.password.data, form.display_name.data or "")
        db.session.commit()
        return render_template("auth/check_mail.html", email=form.email.data)
    return render_template("auth/signup.html", form=form)


@bp.route("/confirmer/<token>")
def confirm(token):
    try:
        user = operations.confirm_email(token)
    except operations.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.login"))
    db.session.commit()
    login_user(user)
    flash(_("Adresse confirmée : bienvenue !"), "success")
    return redirect(url_for("core.index"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        return render_template("auth/check_mail.html", email=form.email.data, reset=True)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reinitialiser/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = operations.user_from_reset_token(token)
    except operations.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.forgot_password"))
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        operations.set_password(user, form.password.data)
        if user.email_confirmed_dt is None:
            # Following a link sent to the address proves the address, like confirmation does.
            operations.confirm_email(operations.make_confirm_token(user))
        db.session.commit()
        flash(_("Mot de passe modifié : vous pouvez vous connecter."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/", methods=["GET", "POST"])
@login_required
def account():
    form = forms.ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = operations.create_api_token(current_user, form.name.data)
        db.session.commit()
        form = forms.ApiTokenForm(formdata=None)
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == current_user.id, ApiToken.revoked_dt.is_(None))
        .order_by(ApiToken.created_dt.desc())
    ).all()
    return render_template("auth/account.html", form=form, tokens=tokens, new_token=new_token)


@bp.route("/jetons/<int:token_id>/revoquer", methods=["POST"])
@login_required
def revoke_token(token_id):
    try:
        operations.revoke_api_token(current_user, token_id)
    except operations.AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Jeton révoqué."), "success")
    return redirect(url_for("auth.account"))
